namespace Metering.Runtime;

/// <summary>A grain addressed by a string key. The part of the key before the first '#' is its partition key,
/// so grains that share it (a subscription and its quotas) live in one partition and on one silo.</summary>
public interface IGrainWithStringKey : IGrain
{
}
