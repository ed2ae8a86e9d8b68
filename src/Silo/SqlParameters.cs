using Npgsql;

namespace Metering.Silo;

/// <summary>Positional parameters ($1, $2, ...) for the Silo's SQL constants.</summary>
internal static class SqlParameters
{
    public static void AddPositional(this NpgsqlCommand command, params object[] values)
    {
        foreach (object value in values)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        }
    }
}
