"""Fleet rollout: engines with provenance, signed manifests, waves, behaviour gates, ansible-runner."""
