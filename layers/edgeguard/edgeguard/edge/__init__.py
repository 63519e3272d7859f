"""The protected edge's deploy-time helpers (CloudFormation custom resources)."""
