from vsis.cli import main

main()
