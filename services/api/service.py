"""The api's service layer: every public operation, shared by the gRPC and REST front ends."""
