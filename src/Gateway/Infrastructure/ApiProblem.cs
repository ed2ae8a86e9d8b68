using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;

namespace Metering.Gateway.Infrastructure;

/// <summary>A problem answer (<c>application/problem+json</c> with a stable <c>code</c>) as a typed result, so an endpoint's
/// signature documents its problems in the OpenAPI document as <see cref="ProblemBody"/>.</summary>
public sealed class ApiProblem(ApiError error) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult
{
    public const string ContentType = "application/problem+json";

    /// <summary>The statuses a problem may carry on any endpoint: the request's own faults, authentication, scope and rate
    /// limit, what is not found or conflicts, and a database out of reach.</summary>
    private static readonly int[] s_statuses = [400, 401, 403, 404, 409, 413, 422, 429, 503];

    public ApiError Error => error;

    public int? StatusCode => error.Status;

    public Task ExecuteAsync(HttpContext httpContext) => Problems.Result(error).ExecuteAsync(httpContext);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        foreach (int status in s_statuses)
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemBody), [ContentType]));
        }
    }
}
