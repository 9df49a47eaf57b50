from tasktransfer.cli import main

main()
