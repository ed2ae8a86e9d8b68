using System.Text;

namespace Metering.Grains.Signing;

/// <summary>The bytes a batch's own signature covers: the UTF-8 of <c>metering-batch-v1</c>, the tenant and the nonce, each
/// followed by '\n', then the <c>events</c> array exactly as sent (its bytes in the request body, whitespace included). One
/// signature then vouches for every event of the batch, so verifying costs one operation per batch instead of one per event.</summary>
public static class BatchSigningInput
{
    public const string Version = "metering-batch-v1";

    public static byte[] Build(string tenant, string nonce, ReadOnlySpan<byte> eventsJson)
    {
        byte[] header = Encoding.UTF8.GetBytes($"{Version}\n{tenant}\n{nonce}\n");
        var input = new byte[header.Length + eventsJson.Length];
        header.CopyTo(input, 0);
        eventsJson.CopyTo(input.AsSpan(header.Length));
        return input;
    }
}
