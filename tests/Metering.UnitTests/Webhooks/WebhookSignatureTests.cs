using System.Security.Cryptography;
using System.Text;
using Metering.Grains.Webhooks;

namespace Metering.UnitTests.Webhooks;

public sealed class WebhookSignatureTests
{
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes("whsec_test");
    private static readonly DateTimeOffset s_at = DateTimeOffset.FromUnixTimeSeconds(1_795_000_000);

    [Fact]
    public void The_header_is_t_and_the_hex_hmac_sha256_of_t_dot_body()
    {
        const string Body = """{"id":"evt_1"}""";
        string expected = Convert.ToHexStringLower(HMACSHA256.HashData(s_secret, Encoding.UTF8.GetBytes("1795000000." + Body)));
        Assert.Equal($"t=1795000000,v1={expected}", WebhookSignature.Sign([s_secret], s_at, Body));
    }

    [Fact]
    public void A_receiver_verifies_the_signature_and_refuses_another_body_secret_or_an_old_timestamp()
    {
        string header = WebhookSignature.Sign([s_secret], s_at, "body");
        TimeSpan tolerance = TimeSpan.FromMinutes(5);
        Assert.True(WebhookSignature.Verify(s_secret, header, "body", s_at.AddMinutes(4), tolerance));
        Assert.True(WebhookSignature.Verify(s_secret, "v1=00," + header.Replace(",", " , ", StringComparison.Ordinal), "body", s_at, tolerance));
        Assert.False(WebhookSignature.Verify(s_secret, header, "body!", s_at, tolerance));
        Assert.False(WebhookSignature.Verify(Encoding.UTF8.GetBytes("other"), header, "body", s_at, tolerance));
        Assert.False(WebhookSignature.Verify(s_secret, header, "body", s_at.AddMinutes(6), tolerance));
        Assert.False(WebhookSignature.Verify(s_secret, header, "body", s_at.AddMinutes(-6), tolerance));
    }

    [Fact]
    public void During_a_rotation_the_header_carries_a_signature_under_each_secret_and_either_verifies()
    {
        byte[] previous = Encoding.UTF8.GetBytes("whsec_old");
        string header = WebhookSignature.Sign([s_secret, previous], s_at, "body");
        Assert.Equal(3, header.Split(',').Length);
        Assert.StartsWith("t=1795000000,v1=", header, StringComparison.Ordinal);
        Assert.True(WebhookSignature.Verify(s_secret, header, "body", s_at, TimeSpan.FromMinutes(5)));
        Assert.True(WebhookSignature.Verify(previous, header, "body", s_at, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Encoding.UTF8.GetBytes("whsec_other"), header, "body", s_at, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void A_previous_key_signs_until_its_grace_ends()
    {
        byte[] previous = Encoding.UTF8.GetBytes("whsec_old");
        var keys = new Metering.Silo.Webhooks.WebhookKeys(s_secret, previous, s_at.AddHours(1));
        Assert.Equal([s_secret, previous], keys.At(s_at.AddMinutes(59)));
        Assert.Equal([s_secret], keys.At(s_at.AddHours(1)));
        Assert.Equal([s_secret], new Metering.Silo.Webhooks.WebhookKeys(s_secret, null, null).At(s_at));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("v1=abc")]
    [InlineData("t=x,v1=abc")]
    [InlineData("t=1795000000")]
    [InlineData("t=1795000000,v1=zz")]
    [InlineData("=1,t=1795000000")]
    public void A_malformed_header_does_not_verify(string header)
        => Assert.False(WebhookSignature.Verify(s_secret, header, "body", s_at, TimeSpan.FromMinutes(5)));
}
