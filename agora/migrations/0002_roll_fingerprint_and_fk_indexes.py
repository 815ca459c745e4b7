from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('agora', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Owner',
            index=Index(fields=['user_id'], name='owners_user'),
        ),
        ops.AddIndex(
            model_name='Ownership',
            index=Index(fields=['owner_id'], name='ownerships_owner'),
        ),
        ops.AddField(
            model_name='Proposal',
            name='roll_fingerprint',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='ProposalPhoto',
            index=Index(fields=['proposal_id'], name='proposal_photos_proposal'),
        ),
        ops.AddIndex(
            model_name='ProposalTransition',
            index=Index(fields=['proposal_id'], name='proposal_transitions_proposal'),
        ),
    ]
