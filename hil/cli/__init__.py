"""The command line: thin wrappers that parse options, call the library, render, and map errors to exits."""
