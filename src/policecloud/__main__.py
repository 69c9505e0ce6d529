from policecloud.cli import main

main()
