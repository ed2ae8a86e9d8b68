using System.Text.Json;

namespace Metering.Runtime;

/// <summary>How a grain call crosses between silos: compact JSON, <c>{"key":"…","args":[…]}</c> in, the result out, each
/// value written as its declared type.</summary>
internal static class GrainCallCodec
{
    public const string ContentType = "application/json";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    public static byte[] EncodeCall(string key, MethodDescriptor method, object?[] args)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("key", key);
            writer.WriteStartArray("args");
            for (int i = 0; i < args.Length; i++)
            {
                JsonSerializer.Serialize(writer, args[i], method.ParameterTypes[i], s_json);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static (string Key, object?[] Args) DecodeCall(JsonElement call, MethodDescriptor method)
    {
        string key = call.GetProperty("key").GetString() ?? throw new JsonException("The call has no key.");
        JsonElement array = call.GetProperty("args");
        if (array.GetArrayLength() != method.ParameterTypes.Count)
        {
            throw new JsonException($"{method.Method.Name} takes {method.ParameterTypes.Count} arguments.");
        }

        object?[] args = new object?[method.ParameterTypes.Count];
        int i = 0;
        foreach (JsonElement element in array.EnumerateArray())
        {
            args[i] = element.Deserialize(method.ParameterTypes[i], s_json);
            i++;
        }

        return (key, args);
    }

    public static byte[] EncodeResult(object? result, Type? type)
        => type is null ? [] : JsonSerializer.SerializeToUtf8Bytes(result, type, s_json);

    public static T DecodeResult<T>(byte[] body)
        => typeof(T) == typeof(MethodDescriptor.VoidResult) ? default! : JsonSerializer.Deserialize<T>(body, s_json)!;

    public static byte[] EncodeError(Exception exception)
        => JsonSerializer.SerializeToUtf8Bytes(new RemoteError(exception.GetType().FullName ?? "Exception", exception.Message), s_json);

    public static RemoteError DecodeError(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize<RemoteError>(body, s_json) ?? new RemoteError("Exception", "The silo gave no detail.");
        }
        catch (JsonException)
        {
            return new RemoteError("Exception", System.Text.Encoding.UTF8.GetString(body));
        }
    }
}
