namespace Metering.Runtime;

/// <summary>The identity of a grain: its interface type and key.</summary>
public readonly record struct GrainId(Type Interface, string Key)
{
    /// <summary>The part of the key that decides placement.</summary>
    public string PartitionKey
    {
        get
        {
            int hash = Key.IndexOf('#', StringComparison.Ordinal);
            return hash < 0 ? Key : Key[..hash];
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Interface.Name}/{Key}";
}
