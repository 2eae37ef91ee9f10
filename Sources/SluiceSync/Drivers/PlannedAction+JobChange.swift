import SluiceFlink

extension PlannedAction {
    /// The change the job reconciler carries out for this action (through the `flink` and
    /// `runtime` drivers); `nil` for an action that asks nothing of a job.
    public var jobChange: JobChange? {
        JobChange(kind, identity: identity, desired: desired?.value, specHash: desired?.specHash, revision: desired?.revision,
                  live: live?.value, allowStateLoss: allowStateLoss)
    }
}
