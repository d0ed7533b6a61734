from azsim.cli import main

raise SystemExit(main())
