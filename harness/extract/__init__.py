"""Final-answer and program extraction from model outputs."""
