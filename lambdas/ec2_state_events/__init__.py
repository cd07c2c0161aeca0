"""EC2/EBS state kept from EventBridge events: the event function, the store, the reconcile job."""
