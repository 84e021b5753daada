"""The body map: injuries recorded on a figure, the rules they trigger, history and print."""
