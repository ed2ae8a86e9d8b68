using System.Runtime.InteropServices;
using Metering.Gateway.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Metering.Gateway.Events;

public sealed record EventResult(int Status, Guid? EventId, ApiError? Error);
