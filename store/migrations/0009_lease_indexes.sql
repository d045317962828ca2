-- Two lookups run on every annotator's request: the item a person holds
-- in a batch, and how many items of the model are held (against the label
-- budget). Both searched label_items_model_lease, the model's leases by
-- expiry, and read each row it found: every live lease for the first, and
-- every lease not yet expired, labeled or not, for the second.
-- The holder's item is one index probe:
CREATE INDEX label_items_holder ON label_items (batch_id, leased_to, lease_until) WHERE leased_to IS NOT NULL;
-- The count of open leases is covered by its own partial index:
CREATE INDEX label_items_open_leases ON label_items (model_id, lease_until) WHERE given < needed;
