using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Metering.Grains.Signing;

namespace Metering.UnitTests.Signing;

/// <summary>The canonical signing input, as README.md writes it down: clients in any language must produce these bytes.</summary>
public sealed class SigningInputTests
{
    [Fact]
    public void The_signing_input_is_the_documented_lines_with_canonical_properties()
    {
        using JsonDocument properties = JsonDocument.Parse("""{ "tokens": 1.50, "model": "gpt-4", "a": {"z": [1, true, null], "b": "t\u00e9\"\\\n\u0001"} }""");
        byte[] input = SigningInput.Build("acme", "evt-1", "agent:a", "tokens", "2026-11-22T10:00:00Z", properties.RootElement, "n-1");
        Assert.Equal("metering-event-v1\nacme\nevt-1\nagent:a\ntokens\n2026-11-22T10:00:00Z\n"
            + "{\"a\":{\"b\":\"t\u00e9\\\"\\\\\\n\\u0001\",\"z\":[1,true,null]},\"model\":\"gpt-4\",\"tokens\":1.50}\nn-1",
            Encoding.UTF8.GetString(input));
    }

    [Fact]
    public void A_batch_signs_its_header_lines_then_the_events_array_byte_for_byte()
    {
        byte[] events = Encoding.UTF8.GetBytes("[ {\"a\": \"\u00e9\"} ]");
        byte[] input = BatchSigningInput.Build("t1", "n-1", events);
        Assert.Equal("metering-batch-v1\nt1\nn-1\n[ {\"a\": \"\u00e9\"} ]", Encoding.UTF8.GetString(input));
        Assert.Equal(events, input[^events.Length..]);
    }

    [Fact]
    public void Absent_properties_sign_as_an_empty_object_and_member_order_does_not_matter()
    {
        using JsonDocument one = JsonDocument.Parse("""{"b":1,"a":2}""");
        using JsonDocument two = JsonDocument.Parse("""{ "a" : 2 , "b" : 1 }""");
        Assert.Equal(SigningInput.Canonical(one.RootElement), SigningInput.Canonical(two.RootElement));
        Assert.EndsWith("\n{}\nn", Encoding.UTF8.GetString(SigningInput.Build("t", "k", "s", "e", "ts", null, "n")));
    }

    [Fact]
    public void An_hmac_signature_verifies_only_for_its_secret_and_bytes()
    {
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        var key = new SigningKey("k", SigningAlgorithm.HmacSha256, ["*"], null, secret, DateTimeOffset.UnixEpoch, null);
        byte[] input = Encoding.UTF8.GetBytes("signed");
        byte[] mac = HMACSHA256.HashData(secret, input);
        Assert.True(SignatureVerifier.Verify(key, input, mac));
        Assert.False(SignatureVerifier.Verify(key, Encoding.UTF8.GetBytes("signed!"), mac));
        Assert.False(SignatureVerifier.Verify(key with { Secret = RandomNumberGenerator.GetBytes(32) }, input, mac));
        Assert.False(SignatureVerifier.Verify(key, input, mac[..16]));
    }

    [Fact]
    public void Subjects_limit_what_a_key_signs_and_a_star_means_all()
    {
        var key = new SigningKey("k", SigningAlgorithm.Es256, ["agent:a"], null, null, DateTimeOffset.UnixEpoch, null);
        Assert.True(key.CanSign("agent:a"));
        Assert.False(key.CanSign("agent:b"));
        Assert.True((key with { Subjects = ["*"] }).CanSign("agent:b"));
    }
}
