"""What every stage shares: params.yaml checks, atomic outputs, the stage CLI, the torch device and seed."""
