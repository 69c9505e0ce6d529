from policecloud.platform.cli import main

main()
