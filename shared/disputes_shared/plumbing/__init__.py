"""What every service needs around the contract: config, storage, outbox, consumer, metrics."""
