import sys

from edgeguard_tools.cli import main

sys.exit(main())
