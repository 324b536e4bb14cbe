"""Model backends behind one protocol; each loads its heavy dependencies lazily."""
