// Discovery: its owner replaces this file with the module's first real type.
