namespace Metering.Gateway.Infrastructure;

/// <summary>A request record read from a JSON body by <see cref="JsonBody"/>, which names every faulty field (the framework's
/// model binding would stop at the first and lose the field's path). Handlers take it as <see cref="JsonRequest{T}"/>.</summary>
public interface IJsonRequest<TSelf> where TSelf : class, IJsonRequest<TSelf>
{
    /// <summary>The request, or null with the faults recorded in <paramref name="body"/>.</summary>
    static abstract TSelf? Read(JsonBody body, HttpContext http);

    /// <summary>The type the OpenAPI document describes the body by: the record itself, unless the record keeps the JSON to
    /// judge it later (an event is judged after authentication, with its tenant's signing keys).</summary>
    static virtual Type Schema => typeof(TSelf);
}
