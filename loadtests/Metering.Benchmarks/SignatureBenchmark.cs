using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Metering.Grains.Signing;

namespace Metering.Benchmarks;

/// <summary>What checking a signed event costs per event: building the canonical signing input, and verifying it with
/// each algorithm this platform supports.</summary>
[MemoryDiagnoser]
public class SignatureBenchmark
{
    private JsonDocument _properties = null!;
    private byte[] _input = null!;
    private SigningKey _hmac = null!;
    private byte[] _hmacSignature = null!;
    private SigningKey _es256 = null!;
    private byte[] _es256Signature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _properties = JsonDocument.Parse("""{"tokens":1536,"model":"gpt-4o","region":"eu-west-1","request":{"id":"req_8f3a","cached":false}}""");
        _input = BuildInput();
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        _hmac = new SigningKey("h", SigningAlgorithm.HmacSha256, ["*"], null, secret, DateTimeOffset.UnixEpoch, null);
        _hmacSignature = HMACSHA256.HashData(secret, _input);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _es256 = new SigningKey("e", SigningAlgorithm.Es256, ["*"], ecdsa.ExportSubjectPublicKeyInfo(), null, DateTimeOffset.UnixEpoch, null);
        _es256Signature = ecdsa.SignData(_input, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    [GlobalCleanup]
    public void Cleanup() => _properties.Dispose();

    [Benchmark]
    public byte[] BuildInput() => SigningInput.Build("acme", "evt-000123", "agent:42", "tokens", "2026-11-22T10:00:00.123Z", _properties.RootElement, "6f1c2a9e0b7d4c3f");

    [Benchmark]
    public bool VerifyHmacSha256() => SignatureVerifier.Verify(_hmac, _input, _hmacSignature);

    [Benchmark]
    public bool VerifyEs256() => SignatureVerifier.Verify(_es256, _input, _es256Signature);
}
