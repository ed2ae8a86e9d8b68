namespace Metering.Grains.Signing;

public static class SignaturePolicies
{
    public static string WireName(this SignaturePolicy policy) => policy switch
    {
        SignaturePolicy.Off => "off",
        SignaturePolicy.Required => "required",
        _ => "verify_if_present",
    };

    public static bool TryParse(string? name, out SignaturePolicy policy)
    {
        (bool known, policy) = name switch
        {
            "off" => (true, SignaturePolicy.Off),
            "verify_if_present" => (true, SignaturePolicy.VerifyIfPresent),
            "required" => (true, SignaturePolicy.Required),
            _ => (false, SignaturePolicy.VerifyIfPresent),
        };
        return known;
    }
}
