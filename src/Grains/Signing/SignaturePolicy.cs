namespace Metering.Grains.Signing;

/// <summary>What a tenant asks of events' signatures: none checked, checked when present, or required on every event.</summary>
public enum SignaturePolicy
{
    Off,
    VerifyIfPresent,
    Required,
}
