"""One module per `harness` subcommand, each with `add_parser(subparsers)` and `run(args) -> int`."""
