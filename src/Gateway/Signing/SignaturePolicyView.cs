using Metering.Gateway.Infrastructure;
using Metering.Grains.Signing;

namespace Metering.Gateway.Signing;

/// <summary>The tenant's signature policy: <c>{"policy":"off"|"verify_if_present"|"required"}</c>, as sent and as answered.</summary>
public sealed record SignaturePolicyView(string Policy) : IJsonRequest<SignaturePolicyView>
{
    public static SignaturePolicyView? Read(JsonBody body, HttpContext http)
    {
        string? name = body.String("policy", true, 32);
        if (name is not null && !SignaturePolicies.TryParse(name, out _))
        {
            body.Fail("policy", "'policy' must be off, verify_if_present or required.");
        }

        return body.HasErrors ? null : new SignaturePolicyView(name!);
    }
}
