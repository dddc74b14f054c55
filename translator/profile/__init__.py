"""The profile stage: YAML -> a validated, frozen profile; errors that name file, line and field;
the interpreter instructions a direction sends."""
