"""Tables, leaderboards, regression verdicts, HTML reports and plots."""
