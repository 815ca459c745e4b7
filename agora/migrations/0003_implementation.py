from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('agora', '0002_roll_fingerprint_and_fk_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Implementation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('proposal', fields.OneToOneField('agora.Proposal', source_field='proposal_id', db_constraint=True, to_field='id', related_name='implementation', on_delete=OnDelete.RESTRICT)),
                ('hall_id', fields.IntField(db_index=True)),
                ('lead', fields.ForeignKeyField('agora.User', source_field='lead_id', db_constraint=True, to_field='id', related_name='led_implementations', on_delete=OnDelete.RESTRICT)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('budget_fen', fields.BigIntField()),
                ('funding', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='planned', db_index=True, max_length=16)),
                ('progress', fields.IntField(default=0)),
                ('spent_fen', fields.BigIntField(default=0)),
                ('acceptance_proposal_id', fields.IntField(null=True)),
                ('accepted_count', fields.IntField(null=True)),
                ('rejected_count', fields.IntField(null=True)),
                ('stalled_notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('agora.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='opened_implementations', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'implementations', 'app': 'agora', 'pk_attr': 'id', 'table_description': 'The work a passed decision promised: who leads it, by when, for how much, funded how.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BudgetAmendment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('implementation', fields.ForeignKeyField('agora.Implementation', source_field='implementation_id', db_constraint=True, to_field='id', related_name='amendments', on_delete=OnDelete.CASCADE)),
                ('proposal_id', fields.IntField()),
                ('old_budget_fen', fields.BigIntField()),
                ('new_budget_fen', fields.BigIntField()),
                ('by', fields.ForeignKeyField('agora.User', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='budget_amendments', on_delete=OnDelete.SET_NULL)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'implementation_budget_amendments', 'app': 'agora', 'unique_together': (('implementation', 'proposal_id'),), 'pk_attr': 'id', 'table_description': 'A new approved budget, carried by a later vote whose record is final and passed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImplementationUpdate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('implementation', fields.ForeignKeyField('agora.Implementation', source_field='implementation_id', db_constraint=True, to_field='id', related_name='updates', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(default='update', max_length=16)),
                ('by', fields.ForeignKeyField('agora.User', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='implementation_updates', on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(default='', unique=False)),
                ('body_html', fields.TextField(default='', unique=False)),
                ('note', fields.TextField(default='', unique=False)),
                ('progress', fields.IntField()),
                ('spent_fen', fields.BigIntField()),
                ('stage', fields.CharField(default='during', max_length=8)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'implementation_updates', 'app': 'agora', 'indexes': [Index(fields=['implementation_id'], name='impl_updates_impl')], 'pk_attr': 'id', 'table_description': 'One report on the work: progress and cumulative spending at that moment, text and photos.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImplementationPhoto',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('implementation_id', fields.IntField()),
                ('update', fields.ForeignKeyField('agora.ImplementationUpdate', source_field='update_id', db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('stage', fields.CharField(max_length=8)),
                ('data', fields.BinaryField()),
                ('thumb', fields.BinaryField()),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('thumb_width', fields.IntField()),
                ('thumb_height', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'implementation_photos', 'app': 'agora', 'indexes': [Index(fields=['implementation_id'], name='impl_photos_impl')], 'pk_attr': 'id', 'table_description': 'A photo of the works, tagged before, during or after, re-encoded without metadata.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Milestone',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('implementation', fields.ForeignKeyField('agora.Implementation', source_field='implementation_id', db_constraint=True, to_field='id', related_name='milestones', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'implementation_milestones', 'app': 'agora', 'indexes': [Index(fields=['implementation_id'], name='impl_milestones_impl')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Quote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('implementation', fields.ForeignKeyField('agora.Implementation', source_field='implementation_id', db_constraint=True, to_field='id', related_name='quotes', on_delete=OnDelete.CASCADE)),
                ('supplier', fields.CharField(max_length=200)),
                ('amount_fen', fields.BigIntField()),
                ('quoted_on', fields.DateField()),
                ('chosen', fields.BooleanField(default=False)),
                ('chosen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'implementation_quotes', 'app': 'agora', 'indexes': [Index(fields=['implementation_id'], name='impl_quotes_impl')], 'pk_attr': 'id', 'table_description': "A supplier's quote. The chosen one is the contract."},
            bases=['Model'],
        ),
    ]
