using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Metering.Gateway.Infrastructure;

/// <summary>The OpenAPI 3.1 document at <see cref="Path"/>, generated from the endpoints: their request records
/// (<see cref="JsonRequest{T}"/>) and typed results. Problems are <see cref="ProblemBody"/>, whose <c>code</c> lists every
/// code of <see cref="Problems.Titles"/>.</summary>
public static class ApiDocument
{
    public const string Path = "/openapi/{documentName}.json";

    public static IServiceCollection AddMeteringOpenApi(this IServiceCollection services)
        => services.AddOpenApi("v1", options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            // Answers written as anonymous objects are described in place rather than under a generated name.
            options.CreateSchemaReferenceId = type => type.Type.IsDefined(typeof(CompilerGeneratedAttribute), false)
                ? null
                : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Metering",
                    Version = "v1",
                    Description = "Usage metering, quotas and billing. Every /v1 request carries Authorization: Bearer <api key>; errors are "
                        + "application/problem+json with a stable code.",
                };
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Type == typeof(ProblemBody) && schema.Properties?.TryGetValue("code", out IOpenApiSchema? code) == true
                    && code is OpenApiSchema codeSchema)
                {
                    codeSchema.Enum = [.. Problems.Titles.Keys.Order(StringComparer.Ordinal).Select(c => (JsonNode)JsonValue.Create(c))];
                    codeSchema.Description = string.Join("; ", Problems.Titles.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}: {t.Value}"));
                }

                return Task.CompletedTask;
            });
        });
}
