from aios.cli import main

raise SystemExit(main())
