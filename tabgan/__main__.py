from tabgan.cli import main

main()
