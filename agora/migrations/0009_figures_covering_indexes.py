from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('agora', '0008_notifications')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Concern',
            index=Index(fields=['compound_id', 'building_id', 'kind', 'category', 'status', 'created_at', 'resolved_at', 'feedback_satisfied', 'urgency'], name='concerns_figures'),
        ),
        ops.AddIndex(
            model_name='Resolution',
            index=Index(fields=['compound_id', 'id', 'number', 'proposal_id'], name='resolutions_figures'),
        ),
    ]
