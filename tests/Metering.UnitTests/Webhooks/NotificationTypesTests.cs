using Metering.Grains.Webhooks;

namespace Metering.UnitTests.Webhooks;

public sealed class NotificationTypesTests
{
    [Fact]
    public void Every_type_has_a_dotted_wire_name_that_parses_back()
    {
        Assert.Equal(
            ["quota.threshold_reached", "quota.exhausted", "credits.low", "invoice.created", "invoice.finalized", "invoice.voided", "billing_run.completed", "rerating.completed"],
            NotificationTypes.Names);
        foreach (NotificationType type in Enum.GetValues<NotificationType>())
        {
            Assert.True(NotificationTypes.TryParse(NotificationTypes.Name(type), out NotificationType parsed));
            Assert.Equal(type, parsed);
        }

        Assert.False(NotificationTypes.TryParse("Invoice.Created", out _));
        Assert.False(NotificationTypes.TryParse(null, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => NotificationTypes.Name((NotificationType)99));
    }
}
