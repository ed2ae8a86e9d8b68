namespace Metering.Runtime;

/// <summary>Gives references to grains. A reference is cheap; the activation is created on its first call.</summary>
public interface IGrainFactory
{
    /// <summary>The grain of interface <typeparamref name="TGrain"/> with this key.</summary>
    TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey;
}
