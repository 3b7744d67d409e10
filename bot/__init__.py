"""What people touch: the command line, the terminal chat and (later) the Slack app."""
