import sys

from .cli import main

if __name__ == "__main__":  # not when a worker process of a batch render imports it
    sys.exit(main())
