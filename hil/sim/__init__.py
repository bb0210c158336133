"""The simulated rack: real OpenSSH servers on loopback whose vendor tools are emulated."""
