namespace Metering.Silo.Subscriptions;

/// <summary>A plan change: to <see cref="PlanCode"/>, <c>now</c> (from the next whole UTC hour, where usage splits exactly), at
/// the end of the current period, or at a given whole hour <see cref="At"/> (after the start, in a period not yet finalized);
/// with <see cref="ResetQuotas"/>, every quota is reset, else only those on meters the new plan does not price.</summary>
public sealed record PlanChangeRequest(string PlanCode, bool AtPeriodEnd, bool ResetQuotas, DateTimeOffset? At = null);
