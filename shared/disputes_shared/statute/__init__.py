"""The statutes' periods and how they are counted: plain Python, shared by the agencies."""
