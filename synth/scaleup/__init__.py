"""`synth scale-up`: nested data subsets -> sft -> harness eval -> harness compare -> leaderboard, plot and
a verdict per benchmark, so every score traces back to the rows it was trained on."""
