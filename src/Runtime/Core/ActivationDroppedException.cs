namespace Metering.Runtime;

/// <summary>Raised when the activation a call reached was dropped (for example after a write conflict).</summary>
public sealed class ActivationDroppedException(GrainId id, Exception? inner = null)
    : Exception($"The activation of {id} was dropped.", inner);
