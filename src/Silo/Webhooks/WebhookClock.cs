namespace Metering.Silo.Webhooks;

/// <summary>Webhook delivery runs on the keyed clock <see cref="Key"/>: when deliveries are due, backoff, the breaker's
/// cool-down and the signature's timestamp. It is the application's clock unless a host registers its own (tests move it).</summary>
public static class WebhookClock
{
    public const string Key = "webhooks";
}
