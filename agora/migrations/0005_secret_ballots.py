from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('agora', '0004_concerns')]

    initial = False

    operations = [
        ops.CreateModel(
            name='VoteKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('proposal', fields.OneToOneField('agora.Proposal', source_field='proposal_id', db_constraint=True, to_field='id', related_name='vote_key', on_delete=OnDelete.RESTRICT)),
                ('public_key', fields.CharField(max_length=64)),
                ('sealed', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('destroyed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'vote_keys', 'app': 'agora', 'pk_attr': 'id', 'table_description': 'The key of one secret vote, made when voting opens (agora.ballots.secrecy).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='LedgerRow',
            name='ciphertext',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='LedgerRow',
            name='proof',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
