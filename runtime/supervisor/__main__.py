import sys

from runtime.supervisor.server import main

main(sys.argv[1:])
