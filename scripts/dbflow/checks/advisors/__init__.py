"""The platform's advisor lints: the lints as data, the runner, the renderers."""
