namespace Metering.Gateway.Events;

/// <summary>An event's signature as sent: <c>{"key_id","algorithm","value" (base64url),"nonce"}</c>.</summary>
public sealed record EventSignatureJson(string KeyId, string Algorithm, string Value, string Nonce);
